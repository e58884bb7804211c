"""Only the evidence URLs, so these tests do not depend on the other apps' URL modules."""

from django.urls import include, path

urlpatterns = [path("", include("baqylau.evidence.urls"))]
