"""API of enforcement.sanctions (the api namespace, /api/v1/): none yet; the ladder's pages are the interface."""

urlpatterns: list = []
