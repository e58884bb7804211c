"""Mounted inside the language prefixes: /<lang>/observe/ (see baqylau.urls)."""

from django.urls import include, path

from baqylau.observer_app import views

app_name = "observer_app"
urlpatterns = [
    path("", views.shell, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
    path("api/", include("baqylau.observer_app.api")),
]
