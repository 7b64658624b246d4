"""Recurring jobs: the schedules tables (:mod:`.models`), when their ticks fall
(:mod:`.cadence`) and how a due tick becomes exactly one job (:mod:`.firing`)."""
