-- The corrected records' rows, after the corrections (through the participation overlay) and as
-- stored: what the mart's overlay counts, +1 and -1 (dashboard/db.py, built once per version).
create or replace temp view corrected_rows as
select * from participation
where participation_id in (select participation_id from label_correction);

create or replace temp view stored_rows as
select * from warehouse.main.participation
where participation_id in (select participation_id from label_correction);
