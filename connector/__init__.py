"""HubSpot NPS connector: pull survey answers, score, write back, follow up."""

__version__ = "0.1.0"
