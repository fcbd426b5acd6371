from django.urls import path

from xinfang.documents import views

app_name = "documents"

urlpatterns = [
    path("<int:document_id>/print/", views.document_print, name="print"),
]
