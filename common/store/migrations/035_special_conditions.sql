-- Issue #28: the license's special conditions (art. 36 of the Law on Permits and
-- Notifications), an input of the decision: the executor's review sets them
-- (review.completed.v1) in both languages, and the license and its annex state them. NULL: none.
ALTER TABLE applications ADD COLUMN special_conditions jsonb
    CHECK (special_conditions IS NULL
           OR (jsonb_typeof(special_conditions->'kk') = 'string'
               AND jsonb_typeof(special_conditions->'ru') = 'string'));
