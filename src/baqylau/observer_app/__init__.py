"""The observers' offline web app (/<lang>/observe/): app shell, service worker, outbox API."""
