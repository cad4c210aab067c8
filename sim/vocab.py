"""The model's vocabularies: relationship stages, event causes, and the codes of categorical parameters.

Everything here is a constant. Engine modules import their stage and cause codes from this module alone,
so it imports nothing from the package.
"""

from __future__ import annotations

#: relationship stages (Dwyer, Schurr & Oh 1987), in lifecycle order; a stage's code is its index
STAGES = ("awareness", "exploration", "expansion", "commitment", "dissolved")
AWARENESS, EXPLORATION, EXPANSION, COMMITMENT, DISSOLVED = range(5)

#: causes recorded in the event log; a cause's code is its index. The first block are dissolution
#: causes; then the awareness channels; then the causes of stage moves.
CAUSES = (
    "none",
    "trust_breakdown",
    "better_alternative",
    "exporter_exit",
    "dissatisfaction",
    "lapsed",
    "key_account_loss",
    "trade_fair",
    "media",
    "matching",
    "referral",
    "initial",
    "trial",
    "trust_built",
    "committed",
    "commitment_decay",
)
DISSOLUTION_CAUSES = CAUSES[1:7]
#: awareness channels, recorded as the cause of the awareness event
CHANNEL_CAUSES = ("trade_fair", "media", "matching", "referral", "initial")
(NONE, TRUST_BREAKDOWN, BETTER_ALTERNATIVE, EXPORTER_EXIT, DISSATISFACTION, LAPSED, KEY_ACCOUNT_LOSS, TRADE_FAIR,
 MEDIA, MATCHING, REFERRAL, INITIAL, TRIAL, TRUST_BUILT, COMMITTED, COMMITMENT_DECAY) = range(len(CAUSES))

#: communication channels (seed 003's six media), their cost and trust effect per contact: personal
#: contact costs most and builds most trust per unit spent ("despite the technology revolution,
#: personal contact is still important", seed 003)
CHANNELS = ("face_to_face", "email", "phone", "web", "customer_service", "social_media")
CHANNEL_COST = (1.5, 0.5, 1.0, 0.3, 1.0, 0.4)
CHANNEL_EFFECT = (1.0, 0.25, 0.6, 0.1, 0.5, 0.15)

#: categorical parameters: the code of a choice in the parameter record is its index here
CHOICE_RULES = ("logit", "reinforcement")
LOGIT, REINFORCEMENT = range(2)
FORECAST_METHODS = ("moving_average", "exponential_smoothing", "seasonal_index")
MOVING_AVERAGE, EXPONENTIAL_SMOOTHING, SEASONAL_INDEX = range(3)
PROSPECT_TARGETING = ("random", "size", "orientation")
INITIAL_AWARENESS = ("none", "all")
