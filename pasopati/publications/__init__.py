"""Publications: approved texts sent to channels, once per draft and channel, with receipts."""
