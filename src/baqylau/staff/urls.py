"""The staff home and sign-in, inside the language prefixes (/kk/staff/, /kk/staff/login/)."""

from django.urls import path

from baqylau.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.Login.as_view(), name="login"),
    path("logout/", views.Logout.as_view(), name="logout"),
]
