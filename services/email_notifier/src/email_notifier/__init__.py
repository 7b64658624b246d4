"""Conveyor's email-notifier: sends each notification email at most once per event.

``python -m email_notifier`` runs the RQ worker on the ``notifications`` queue;
``python -m email_notifier.sink`` runs the local SMTP sink that keeps mail as ``.eml`` files.
"""
