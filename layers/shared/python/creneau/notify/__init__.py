"""Emails of change events and reminders: texts per locale, MIME with an .ics invitation, SES."""
