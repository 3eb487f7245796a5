"""The text-message rules (SMS): inputs, scope, texts, frequency, contacts and their findings."""
