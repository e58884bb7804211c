from django.urls import path

from baqylau.checklists import views

app_name = "checklists"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/<uuid:submission_id>/", views.report, name="report"),
    path("<slug:code>/<slug:form>/", views.dashboard, name="dashboard"),
    path("<slug:code>/<slug:form>/responses/", views.responses, name="responses"),
    path("<slug:code>/<slug:form>/reports/", views.report_list, name="reports"),
]
