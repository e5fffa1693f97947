package gateway

// ResealPhone is the storage.PhoneResealer of this gateway's keyring: a
// sealed phone is bound to its user's id, so one moving with a merge is
// opened for the user it came from and sealed again for the user it joins.
func (s *Server) ResealPhone(sealed []byte, fromUserID, intoUserID string) ([]byte, error) {
	p, err := s.open(fieldPhone, []byte(fromUserID), sealed)
	if err != nil {
		return nil, err
	}
	return s.seal(fieldPhone, []byte(intoUserID), p)
}
