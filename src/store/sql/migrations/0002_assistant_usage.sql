-- The language-model assistant's token use per month (YYYY-MM, China time), for the deployment's monthly cap.
CREATE TABLE assistant_usage (
  month TEXT PRIMARY KEY,
  tokens INTEGER NOT NULL,
  calls INTEGER NOT NULL
);
