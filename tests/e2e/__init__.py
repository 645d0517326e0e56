"""End-to-end suite: the example stacks deployed into the local emulator ministack (see README, Testing)."""
