from django.urls import path

from baqylau.bots import views

app_name = "bots"
urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("webhook/<str:bot>/", views.webhook, name="webhook"),
]
