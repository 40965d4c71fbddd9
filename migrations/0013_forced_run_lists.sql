-- A forced run on the day of an earlier run (issue 7) used to write its lists with trigger
-- 'manual', because this index allowed one run list per customer and cycle even after it was
-- superseded: the run's lists then read as if someone at the back office had made each one.
-- A run's list is a run list. What the index guarded (one list a customer can use per cycle)
-- list_one_current_per_customer already guarantees; a non-forced run skips customers whose list
-- is still current, and a chunk writes in one transaction, so a retried chunk writes no twin.
drop index list_one_per_run_cycle;
