-- The distinct senders of valid rows (sender_distinct: sender, ascii), numbered (sender_index),
-- with their salted hash: the first $digits hex digits (etl.text.SENDER_HASH_DIGITS, 16: 64 bits)
-- of SHA-256 of $salt and the sender's key (no key, no hash), and sender_no: the same number for the
-- same hash (what repeats and campaigns compare, cheaper than the hash). etl.text.sender_key defines
-- the key. For a sender written in ASCII (nearly all: e-mail addresses and numbers) this is the same
-- definition: $strip removes what Python's strip() does from each end, lower() is Python's on
-- ASCII, the same separators go. Any other sender's key comes from Python (sender_python_key). A
-- property test holds them together.
with keyed as (
    select
        s.sender,
        case when s.ascii then regexp_replace(
            regexp_replace(lower(regexp_replace(s.sender, $strip, '', 'g')), '[ ().\t-]', '', 'g'),
            '^(?:\+?966|00966|0)(5[0-9]{8})$', '+966\1'
        ) else p.sender_key end as sender_key
    from sender_distinct as s
    left join sender_python_key as p on p.sender = s.sender and not s.ascii
),

-- materialized: the hashes are computed on every core (numbering is a one-thread step)
hashed as materialized (
    select sender, case when sender_key <> '' then left(sha256($salt || sender_key), $digits) end as sender_hash
    from keyed
),

numbered as (
    select sender, sender_hash, cast(row_number() over () - 1 as integer) as sender_index
    from hashed
)

select
    sender,
    sender_index,
    sender_hash,
    case when sender_hash is not null then min(sender_index) over (partition by sender_hash) end as sender_no
from numbered
