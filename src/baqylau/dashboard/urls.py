from django.urls import path

from baqylau.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("e/<slug:code>/", views.election, name="election"),
    path("e/<slug:code>/u/<int:unit_id>/", views.unit, name="unit"),
]
