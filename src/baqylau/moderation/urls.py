from django.urls import path

from baqylau.moderation import views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("copies/<int:copy_id>/", views.item, name="item"),
    path("copies/<int:copy_id>/decide/", views.decide, name="decide"),
    path("copies/<int:copy_id>/release/", views.release, name="release"),
    path("copies/<int:copy_id>/resolve/", views.resolve, name="resolve"),
    path("copies/accept/", views.bulk_accept, name="bulk_accept"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/<int:incident_id>/", views.incident, name="incident"),
    path("media/<int:media_id>/", views.media, name="media"),
    path("statistics/", views.statistics, name="statistics"),
    path("voters/groups/", views.crowd_groups, name="crowd_groups"),
    path(
        "voters/groups/<int:group_id>/decide/", views.crowd_group_decide, name="crowd_group_decide"
    ),
    path("statistics/<slug:code>/", views.statistics, name="statistics_election"),
]
