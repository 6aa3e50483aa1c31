"""Scheduling without the back-and-forth: slots, proposals, bookings, calendar invites, reminders, away dates."""
