-- ¶15 (art. 91 of the Administrative Procedural Code): a complaint that is satisfied overturns
-- the refusal it is against - the application is decided again and the result issued. The one
-- way out of a final stage: refused -> awaiting_decision, its cause the complaint's resolution.
INSERT INTO stage_transitions (from_stage, to_stage) VALUES ('refused', 'awaiting_decision');
SELECT lic_stage_checks();
