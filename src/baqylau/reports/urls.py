"""Staff pages, mounted inside the language prefixes (e.g. /ru/staff/…)."""

from django.urls import include, path

from baqylau.reports import views

app_name = "reports"
urlpatterns = [
    path("e/<slug:code>/live/", views.live, name="live"),
    path("e/<slug:code>/coverage/", views.coverage, name="coverage"),
    path("e/<slug:code>/announced/", views.announced, name="announced"),
    path("", include("baqylau.observers.urls")),
]
