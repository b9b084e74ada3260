from django.urls import path

from coordination.practice import api

# (route, view, name): every view here answers one route.
urlpatterns = [
    path(route, view.as_view(), name=name)
    for route, view, name in [
        ("notes", api.NotesView, "api-practice-notes"),
        ("notes/<id:pk>", api.NoteView, "api-practice-note"),
        ("notes/<id:pk>/versions", api.NoteVersionsView, "api-practice-versions"),
        ("notes/<id:pk>/answers", api.AnswersView, "api-practice-answers"),
        ("notes/<id:pk>/useful", api.NoteUsefulView, "api-practice-useful"),
        ("notes/<id:pk>/comments", api.CommentsView, "api-practice-comments"),
        ("notes/<id:pk>/pointers", api.PointersView, "api-practice-pointers"),
        ("answers/<id:pk>/accept", api.AnswerAcceptView, "api-practice-accept"),
        ("follows", api.FollowsView, "api-practice-follows"),
        ("follows/<id:pk>", api.FollowView, "api-practice-follow"),
        ("tags", api.TagsView, "api-practice-tags"),
        ("search", api.SearchView, "api-practice-search"),
        ("feed", api.FeedView, "api-practice-feed"),
    ]
]
