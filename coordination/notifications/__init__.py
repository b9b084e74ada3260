"""Notifications: what a person should know about, in the app, live, and in a daily digest.

They come from the event log: ``rules`` listens to every publish (through the log's
hook registry) and turns the events that concern someone (a visit offered to them,
their help offer accepted, a proposal waiting for their response, a visit running
late in their team) into a ``Notification`` row for each recipient, in the writer's
transaction. Each person's notifications live on their own stream, ``person.<id>``.
"""
