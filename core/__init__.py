"""Code shared by the ETL and the app: settings and the SQL-file loader."""
