from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from bank_ai import views
from bank_ai.health import healthz

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (admin, device clients, API docs).
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/analytics/", include("scenarios.analytics.urls")),
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("bank_ai.api_urls")),
    path("", include("scenarios.urls")),
    path("", include("devices.counter_urls")),
    path("devices/", include("devices.urls")),
    path("omni/", include("devices.omni.urls")),
    path("staff/", include("staff_assistant.urls")),
]
# Knowledge pages at /zh-hans/kb/... and /en/kb/... (Wagtail's locale-aware URLs). The default
# language is prefixed too: otherwise LocaleMiddleware pins every unprefixed URL (admin, API)
# to LANGUAGE_CODE and the language switch stops working there.
urlpatterns += i18n_patterns(path("kb/", include(wagtail_urls)), prefix_default_language=True)
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
