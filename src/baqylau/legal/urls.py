"""Lawyers' pages, inside the language prefixes (e.g. /ru/legal/…)."""

from django.urls import path

from baqylau.legal import views

app_name = "legal"
urlpatterns = [
    path("login/", views.Login.as_view(), name="login"),
    path("", views.home, name="home"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:incident_id>/act/", views.act_create, name="act"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/document/", views.case_document, name="case_document"),
    path("cases/<int:pk>/event/", views.case_event, name="case_event"),
    path("cases/<int:pk>/bundle/", views.bundle_create, name="bundle_create"),
    path("bundles/<int:pk>/", views.bundle_download, name="bundle"),
    path("documents/<int:pk>.<str:fmt>", views.document_download, name="document"),
    path("statistics/", views.statistics, name="statistics"),
    path("profile/", views.profile, name="profile"),
    path("sources/", views.sources, name="sources"),
]
