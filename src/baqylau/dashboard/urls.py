from django.urls import path

from baqylau.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("e/<slug:code>/", views.election, name="election"),
    path("e/<slug:code>/map/", views.map_page, name="map"),
    path("e/<slug:code>/map.svg", views.map_svg, name="map-svg"),
    path("e/<slug:code>/forensics/", views.forensics, name="forensics"),
    path(
        "e/<slug:code>/forensics/<slug:name>.<slug:ext>",
        views.forensics_figure,
        name="forensics-figure",
    ),
    path("e/<slug:code>/data/", views.data_dictionary, name="data"),
    path("e/<slug:code>/report.pdf", views.report_pdf, name="report"),
    path("e/<slug:code>/u/<int:unit_id>/", views.unit, name="unit"),
    path("e/<slug:code>/u/<int:unit_id>/live.json", views.live, name="live"),
    path("e/<slug:code>/u/<int:unit_id>/card.pdf", views.station_card, name="card"),
    path(
        "e/<slug:code>/u/<int:unit_id>/data/<slug:dataset>.<slug:fmt>",
        views.download,
        name="download",
    ),
]
