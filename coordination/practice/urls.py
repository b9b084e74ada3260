from django.urls import path

from coordination.practice import api

urlpatterns = [
    path("notes", api.NotesView.as_view(), name="api-practice-notes"),
    path("notes/<id:pk>", api.NoteView.as_view(), name="api-practice-note"),
    path("notes/<id:pk>/versions", api.NoteVersionsView.as_view(), name="api-practice-versions"),
    path("notes/<id:pk>/answers", api.AnswersView.as_view(), name="api-practice-answers"),
    path("notes/<id:pk>/useful", api.NoteUsefulView.as_view(), name="api-practice-useful"),
    path("notes/<id:pk>/comments", api.CommentsView.as_view(), name="api-practice-comments"),
    path("notes/<id:pk>/pointers", api.PointersView.as_view(), name="api-practice-pointers"),
    path("answers/<id:pk>/accept", api.AnswerAcceptView.as_view(), name="api-practice-accept"),
    path("follows", api.FollowsView.as_view(), name="api-practice-follows"),
    path("follows/<id:pk>", api.FollowView.as_view(), name="api-practice-follow"),
    path("tags", api.TagsView.as_view(), name="api-practice-tags"),
    path("search", api.SearchView.as_view(), name="api-practice-search"),
    path("feed", api.FeedView.as_view(), name="api-practice-feed"),
]
