"""Monitoring-alert intake: one door for news, social listening and manual reports."""
