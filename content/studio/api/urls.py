from django.urls import path

from content.studio.api import views

urlpatterns = [
    path("studio/kpis/", views.KpiView.as_view(), name="api-studio-kpis"),
    path("studio/topics/", views.TopicPoolView.as_view(), name="api-studio-topics"),
    path("studio/scripts/", views.ScriptListView.as_view(), name="api-studio-scripts"),
    path(
        "studio/scripts/<int:script_id>/",
        views.ScriptDetailView.as_view(),
        name="api-studio-script",
    ),
    path(
        "studio/scripts/<int:script_id>/edit/",
        views.ScriptEditView.as_view(),
        name="api-studio-script-edit",
    ),
    path(
        "studio/scripts/<int:script_id>/resize/",
        views.ScriptResizeView.as_view(),
        name="api-studio-script-resize",
    ),
    path(
        "studio/scripts/<int:script_id>/submit/",
        views.ScriptSubmitView.as_view(),
        name="api-studio-script-submit",
    ),
    path(
        "studio/scripts/<int:script_id>/approve/",
        views.ScriptApproveView.as_view(),
        name="api-studio-script-approve",
    ),
    path(
        "studio/scripts/<int:script_id>/send-back/",
        views.ScriptSendBackView.as_view(),
        name="api-studio-script-send-back",
    ),
    path("studio/render-batches/", views.RenderBatchListView.as_view(), name="api-studio-batches"),
    path(
        "studio/render-batches/<int:batch_id>/",
        views.RenderBatchDetailView.as_view(),
        name="api-studio-batch",
    ),
    path(
        "studio/publications/", views.PublicationListView.as_view(), name="api-studio-publications"
    ),
    path(
        "studio/publications/<int:publication_id>/",
        views.PublicationDetailView.as_view(),
        name="api-studio-publication",
    ),
]
