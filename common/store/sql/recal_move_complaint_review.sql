-- recal.c: a complaint's review limit moved ($3 unused).
UPDATE complaints SET review_due = to_timestamp($2) WHERE complaint_id = $1::uuid
    AND $3::bigint IS NOT NULL;
