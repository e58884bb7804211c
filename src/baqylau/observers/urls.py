from django.urls import path

from baqylau.observers import views

app_name = "observers"
urlpatterns = [
    path("observers/", views.observer_list, name="list"),
]
