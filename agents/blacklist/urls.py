"""Included by agents/urls.py (namespace "agents")."""

from django.urls import path

from . import views

urlpatterns = [
    path("blacklist/", views.blacklist_list, name="blacklist_list"),
    path("blacklist/add/", views.blacklist_add, name="blacklist_add"),
    path("blacklist/<int:pk>/", views.blacklist_detail, name="blacklist_detail"),
    path("blacklist/<int:pk>/lift/", views.blacklist_lift, name="blacklist_lift"),
]
