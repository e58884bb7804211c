"""Mounted inside the language prefixes: /<lang>/observe/ (see baqylau.urls); its API at
/<lang>/observe/api/ is mounted there too, outside this namespace, so that the API's own
namespace ("observe_api") resolves (its schema needs it)."""

from django.urls import path

from baqylau.observer_app import views

app_name = "observer_app"
urlpatterns = [
    path("", views.shell, name="home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
]
