from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("sms/", include("baqylau.reports.sms_urls")),
    path("bots/", include("baqylau.bots.urls")),
    path("", include("baqylau.evidence.urls")),
    path("api/v1/", include("baqylau.api")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("baqylau.mobile.urls")),
    path("staff/", include("baqylau.reports.urls")),
    path("moderation/", include("baqylau.moderation.urls")),
    path("legal/", include("baqylau.legal.urls")),
    path("checklists/", include("baqylau.checklists.urls")),
    path("observe/api/", include("baqylau.observer_app.api")),
    path("observe/", include("baqylau.observer_app.urls")),
    path("", include("baqylau.dashboard.urls")),
    prefix_default_language=True,
)

handler500 = "baqylau.errors.server_error"
