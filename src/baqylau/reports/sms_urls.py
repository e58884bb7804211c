"""The SMS gateway endpoint, outside the language prefixes: POST /sms/inbound/."""

from django.urls import path

from baqylau.reports import views

urlpatterns = [path("inbound/", views.sms_inbound, name="sms-inbound")]
