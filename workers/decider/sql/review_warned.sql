-- decider.c: operators warned that the executor's review day is passing.
UPDATE applications SET review_warned_at = $2 WHERE application_id = $1;
