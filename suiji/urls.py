from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from accounts.api import router as accounts_router
from accounts.views import SignInView
from assignments.api import router as assignments_router
from catalog import views as catalog_views
from catalog.api import router as catalog_router
from core.api import router as audit_router
from directory import people_views
from directory import views as directory_views
from directory.api import router as directory_router
from directory.import_api import router as directory_import_router
from directory.people_api import router as directory_people_router
from draws import views as draw_views
from draws.api import router as draws_router
from inspections.api import router as inspections_router
from orgs.api import router as orgs_router
from oversight.api import router as oversight_router
from plans.api import router as plans_router
from refdata.api import router as refdata_router
from suiji.api import api
from web import views
from workcal.api import router as calendar_router

api.add_router("/", accounts_router)
api.add_router("/orgs", orgs_router)
api.add_router("/refdata", refdata_router)
api.add_router("/calendar", calendar_router)
api.add_router("/audit", audit_router)
api.add_router("/directory", directory_router)
api.add_router("/directory", directory_import_router)
api.add_router("/directory", directory_people_router)
api.add_router("/draws", draws_router)
api.add_router("/inspections", inspections_router)
api.add_router("/oversight", oversight_router)
api.add_router("/assignments", assignments_router)
api.add_router("/catalog", catalog_router)
api.add_router("/plans", plans_router)

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("orgs/", views.orgs, name="orgs"),
    path("directory/targets/", views.targets, name="targets"),
    path("directory/imports/", directory_views.imports, name="target-imports"),
    path("directory/imports/<int:job_id>/", directory_views.import_job, name="target-import"),
    path("directory/imports/<int:job_id>/errors/", directory_views.import_errors, name="target-import-errors"),
    path("directory/export/", directory_views.export, name="target-export"),
    path("directory/targets/<str:key>/", people_views.target_detail, name="target-detail"),
    path("directory/targets/<str:key>/edit/", people_views.target_edit, name="target-edit"),
    path("directory/inspectors/", people_views.inspector_list, name="inspectors"),
    path("directory/inspectors/new/", people_views.inspector_new, name="inspector-new"),
    path("directory/inspectors/staffing/", people_views.staffing, name="inspector-staffing"),
    path("directory/inspectors/<int:pk>/", people_views.inspector_detail, name="inspector-detail"),
    path("directory/inspectors/<int:pk>/edit/", people_views.inspector_edit, name="inspector-edit"),
    path("directory/experts/", people_views.expert_list, name="experts"),
    path("directory/experts/new/", people_views.expert_new, name="expert-new"),
    path("directory/experts/<int:pk>/", people_views.expert_detail, name="expert-detail"),
    path("directory/experts/<int:pk>/edit/", people_views.expert_edit, name="expert-edit"),
    path("directory/<str:kind>/<int:pk>/conflicts/", people_views.conflict_add, name="conflict-add"),
    path("directory/conflicts/<int:conflict_id>/withdraw/", people_views.conflict_withdraw, name="conflict-withdraw"),
    path("directory/people-imports/", people_views.people_imports, name="people-imports"),
    path(
        "directory/people-imports/<int:job_id>/errors/", people_views.people_import_errors, name="people-import-errors"
    ),
    path("catalog/", catalog_views.item_list, name="catalog-items"),
    path("catalog/new/", catalog_views.item_new, name="catalog-new"),
    path("catalog/import/", catalog_views.item_import, name="catalog-import"),
    path("catalog/export.xlsx", catalog_views.item_export, name="catalog-export"),
    path("catalog/<int:item_id>/", catalog_views.item_detail, name="catalog-item"),
    path("catalog/<int:item_id>/revise/", catalog_views.item_revise, name="catalog-revise"),
    path("catalog/<int:item_id>/versions/<int:number>/publish/", catalog_views.item_publish, name="catalog-publish"),
    path("plans/", include("plans.urls")),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/add/", views.calendar_add, name="calendar-add"),
    path("refdata/", views.refdata, name="refdata"),
    path("audit/", views.audit, name="audit"),
    path("tasks/", draw_views.task_list, name="tasks"),
    path("tasks/new/", draw_views.task_new, name="task-new"),
    path("tasks/<int:task_id>/", draw_views.task_detail, name="task-detail"),
    path("tasks/<int:task_id>/commit/", draw_views.task_commit, name="task-commit"),
    path("tasks/", include("draws.planning_urls")),
    path("draws/<int:draw_id>/run/", draw_views.draw_run, name="draw-run"),
    path("draws/jobs/<int:job_id>/", draw_views.draw_job, name="draw-job"),
    path("draws/<int:draw_id>/void-request/", draw_views.draw_void_request, name="draw-void-request"),
    path("draws/<int:draw_id>/void-approve/", draw_views.draw_void_approve, name="draw-void-approve"),
    path("portal/", include("portal.urls")),
    path("inspections/", include("inspections.urls")),
    path("oversight/", include("oversight.urls")),
    path("assignments/", include("assignments.urls")),
    path("public/draws/", draw_views.public_draw_list, name="public-draws"),
    path("public/draws/<int:draw_id>/", draw_views.public_draw, name="public-draw"),
    path("public/verify_draw.py", draw_views.verifier_download, name="verifier-download"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
