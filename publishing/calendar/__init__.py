"""The editorial calendar: month / week / list, drag to reschedule, notes, holidays, cadence, share links."""
