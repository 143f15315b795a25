"""Work announces itself: the inbox (*Kotak masuk*) computed from the workflow's state and the working-time
clock, the e-mail digest (``python -m lib notify``) and the password reset by e-mail (*Lupa kata sandi*)."""
