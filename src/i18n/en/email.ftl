# email
