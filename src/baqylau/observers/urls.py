from django.urls import path

from baqylau.observers import views

# Included by reports.urls, under /<lang>/staff/: names are "reports:observers:<name>".
app_name = "observers"
urlpatterns = [
    path("observers/", views.observer_list, name="list"),
    path("observers/import/", views.observer_import, name="import"),
    path(
        "observers/import/confirm/",
        views.observer_import_confirm,
        name="import-confirm",
    ),
    path("observers/<str:public_id>/", views.observer_edit, name="edit"),
    path("observers/<str:public_id>/invite/", views.observer_invite, name="invite"),
    path("observers/<str:public_id>/place/", views.observer_place, name="place"),
    path(
        "observers/<str:public_id>/unplace/<int:assignment_id>/",
        views.observer_unplace,
        name="unplace",
    ),
    path("e/<slug:code>/placement/", views.placement, name="placement"),
    path("e/<slug:code>/targets/", views.targets, name="targets"),
]
