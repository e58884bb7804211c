"""Evidence URLs (outside the language prefix): signed file links and the ledger digest."""

from django.urls import path

from baqylau.evidence import views

app_name = "evidence"

urlpatterns = [
    path("evidence/<str:token>", views.media, name="media"),
    path("ledger/digest.json", views.ledger_digest, name="ledger-digest"),
    path("ledger/checkpoints.jsonl", views.ledger_checkpoints, name="ledger-checkpoints"),
]
