"""Task pages for plan lines and joint tasks, included under /tasks/ by suiji/urls.py."""

from django.urls import path

from draws import planning_views

urlpatterns = [
    path("from-line/<int:line_id>/", planning_views.task_from_line, name="task-from-line"),
    path("from-line/<int:line_id>/preview/", planning_views.task_from_line_preview, name="task-from-line-preview"),
    path("<int:task_id>/invite/", planning_views.task_invite, name="task-invite"),
    path("<int:task_id>/items/", planning_views.task_add_items, name="task-add-items"),
    path("participants/<int:participant_id>/respond/", planning_views.task_respond, name="task-respond"),
]
