from django.urls import path

from baqylau.mobile import views

app_name = "mobile"
urlpatterns = [
    path("staff/mobile/", views.groups, name="groups"),
    path("staff/mobile/dispatch/<int:incident_id>/", views.dispatch, name="dispatch"),
    path("staff/mobile/tasks/<int:pk>/", views.task, name="task"),
    path("observe/tasks/", views.my_tasks, name="my-tasks"),
    path("observe/tasks/<int:pk>/arrived/", views.arrived, name="arrived"),
    path("observe/tasks/<int:pk>/report/", views.report, name="report"),
]
