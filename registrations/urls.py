from . import import_views, views

app_name = "registrations"

# pages: registration search, record page, reveal (views.py); imports (import_views.py)
urlpatterns = [
    *views.urlpatterns,
    *import_views.urlpatterns,
]
