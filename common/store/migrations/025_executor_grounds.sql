-- The executor raises grounds of Standard row 9 (ground.raised.v1, issue #27): a ground's
-- source may be the executor, and the official who raised it is kept ("role IIN full name").
ALTER TABLE grounds DROP CONSTRAINT grounds_source_check;
ALTER TABLE grounds ADD CONSTRAINT grounds_source_check CHECK (source IN ('registry', 'executor'));
ALTER TABLE grounds ADD COLUMN raised_by text;
