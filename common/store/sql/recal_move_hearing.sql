-- recal.c: a hearing's date moved ($3 unused).
UPDATE hearings SET hearing_at = to_timestamp($2) WHERE hearing_id = $1::uuid
    AND $3::bigint IS NOT NULL;
