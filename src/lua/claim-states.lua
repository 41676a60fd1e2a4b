-- An idempotency record's states and the claim script's answers. The C side names the same
-- strings RLOCK_CLAIM_<NAME> in src/claim.h (tools/gen-scripts --check compares them).
local CLAIMED, CONFLICT, RUNNING, DONE, FAILED = 'claimed', 'conflict', 'running', 'done', 'failed'
